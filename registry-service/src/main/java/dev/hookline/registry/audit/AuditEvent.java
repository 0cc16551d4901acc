package dev.hookline.registry.audit;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.time.Instant;

/** One link of the hash-chained audit log. Immutable: written once by {@link AuditLog}. */
@Entity
@Immutable
@Table(name = "audit_event")
public class AuditEvent extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    public long seq;

    public Instant at;

    public String actor;

    public String action;

    @Column(name = "entity_type")
    public String entityType;

    @Column(name = "entity_id")
    public String entityId;

    /** Canonical JSON of the event payload. */
    public String payload;

    @Column(name = "prev_hash")
    public String prevHash;

    public String hash;

    /** HMAC-SHA256 of {@code hash} under the registry's key ({@link AuditSigner}); null only before V6. */
    public String hmac;
}
