CREATE TABLE suppliers (
    id       int AUTO_INCREMENT PRIMARY KEY,
    name     varchar(128) NOT NULL UNIQUE,
    country  char(2) NOT NULL,
    email    varchar(255) CHECK (email REGEXP '^[^@[:space:]]+@[^@[:space:]]+$')
) ENGINE=InnoDB;
