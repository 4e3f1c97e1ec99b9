DROP TABLE tenant_tokens;
DROP TABLE products;
DROP TABLE orders;
DROP TABLE tenant_sequences;
