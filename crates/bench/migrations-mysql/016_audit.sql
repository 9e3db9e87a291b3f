-- One trigger per event: MySQL and MariaDB have no INSERT OR UPDATE trigger.
CREATE TABLE audit_log (
    id          bigint AUTO_INCREMENT PRIMARY KEY,
    table_name  varchar(64) NOT NULL,
    row_id      bigint NOT NULL,
    action      varchar(16) NOT NULL,
    at          datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    data        json NOT NULL,
    KEY audit_log_row_idx (table_name, row_id)
) ENGINE=InnoDB;
CREATE TRIGGER orders_audit_insert AFTER INSERT ON orders FOR EACH ROW
    INSERT INTO audit_log (table_name, row_id, action, data)
    VALUES ('orders', NEW.id, 'INSERT', JSON_OBJECT('id', NEW.id, 'customer_id', NEW.customer_id, 'status', NEW.status));
CREATE TRIGGER orders_audit_update AFTER UPDATE ON orders FOR EACH ROW
    INSERT INTO audit_log (table_name, row_id, action, data)
    VALUES ('orders', NEW.id, 'UPDATE', JSON_OBJECT('id', NEW.id, 'customer_id', NEW.customer_id, 'status', NEW.status));
