package dev.hookline.registry.channel;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import java.time.Instant;

/** A movable pointer of a model ({@code prod}, {@code canary}, ...) at a VALIDATED version. */
@Entity
@Table(name = "channel")
public class Channel extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "model_id")
    public Long modelId;

    public String name;

    @Column(name = "version_id")
    public Long versionId;

    @Column(name = "updated_at")
    public Instant updatedAt;

    @Column(name = "updated_by")
    public String updatedBy;

    /** Distinct releasers that must approve a version before a move to it (the mover counts). */
    @Column(name = "required_approvals")
    public int requiredApprovals = 1;

    /** Set when the channel's version became REJECTED or BLOCKED after it was pinned. */
    @Column(name = "blocked_since")
    public Instant blockedSince;

    /** Optimistic lock: two concurrent moves never both win. */
    @Version
    @Column(name = "row_version")
    public long rowVersion;
}
