CREATE TABLE staff (
    id        int AUTO_INCREMENT PRIMARY KEY,
    login     varchar(64) NOT NULL UNIQUE,
    email     varchar(255) NOT NULL CHECK (email REGEXP '^[^@[:space:]]+@[^@[:space:]]+$'),
    disabled  boolean NOT NULL DEFAULT false
) ENGINE=InnoDB;
CREATE TABLE roles (
    name  varchar(64) PRIMARY KEY
) ENGINE=InnoDB;
CREATE TABLE staff_roles (
    staff_id  int NOT NULL,
    role      varchar(64) NOT NULL,
    PRIMARY KEY (staff_id, role),
    CONSTRAINT staff_roles_staff_fk FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE,
    CONSTRAINT staff_roles_role_fk FOREIGN KEY (role) REFERENCES roles (name)
) ENGINE=InnoDB;
