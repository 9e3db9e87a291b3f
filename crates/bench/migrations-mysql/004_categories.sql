CREATE TABLE categories (
    id         int AUTO_INCREMENT PRIMARY KEY,
    parent_id  int,
    slug       varchar(64) NOT NULL UNIQUE,
    name       varchar(128) NOT NULL,
    KEY categories_parent_idx (parent_id),
    CONSTRAINT categories_parent_fk FOREIGN KEY (parent_id) REFERENCES categories (id)
) ENGINE=InnoDB;
