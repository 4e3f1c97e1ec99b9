//! Text that every store can hold. PostgreSQL's `text` cannot hold U+0000 at all, and the
//! other C0 control characters are never meant in a name, code, login or reference: a client
//! that sends one is broken or probing. Both backends refuse them the same way, at the edge,
//! instead of SQLite storing what PostgreSQL refuses with a 500.

/// The first character of `text` that Tenantry refuses: U+0000–U+001F except tab, line feed
/// and carriage return (which free text such as a description may carry).
///
/// ```
/// use tenantry_domain::text::control_character;
/// assert_eq!(control_character("Anna\u{0}"), Some('\u{0}'));
/// assert_eq!(control_character("two\nlines\tand a tab"), None);
/// ```
pub fn control_character(text: &str) -> Option<char> {
    text.chars()
        .find(|&c| c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
}

/// `text` with each control character written as `\u{…}`, so it can be shown (in an error
/// naming a field, say) without carrying the character itself.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c < ' ' || c == '\u{7f}' {
                format!("\\u{{{:04X}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// What an error says about such a character, e.g. "must not contain the control character
/// U+0000".
pub fn control_character_message(c: char) -> String {
    format!(
        "must not contain the control character U+{:04X}",
        u32::from(c)
    )
}
