// The portal's only script: copy buttons. Each <button data-copy="ID"> copies the text of
// the element with that id. Loaded from this server (CSP script-src 'self'); every page works
// without it.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    button.textContent = button.getAttribute("data-copied") || "Copied";
  });
});
