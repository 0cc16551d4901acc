package dev.hookline.registry.job;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/**
 * The work item of one batch. A worker holds it under a lease: {@code leaseToken} (new per lease,
 * with {@code attempt} counting leases) fences a holder whose lease expired and was taken over.
 */
@Entity
@Table(name = "edit_job")
public class EditJob extends PanacheEntityBase {

    /** QUEUED: leasable once its branch predecessors are computed; LEASED: held; then a terminal state. */
    public enum Status { QUEUED, LEASED, DONE, FAILED, CANCELLED }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "batch_id")
    public Long batchId;

    @Enumerated(EnumType.STRING)
    public Status status;

    public int attempt;

    @Column(name = "lease_token")
    public UUID leaseToken;

    @Column(name = "leased_by")
    public String leasedBy;

    @Column(name = "leased_at")
    public Instant leasedAt;

    @Column(name = "lease_expires_at")
    public Instant leaseExpiresAt;

    @Column(name = "heartbeat_at")
    public Instant heartbeatAt;

    /** Comparison key ({@code Principals.key}) of the principal holding the lease; only it may use the lease. */
    @Column(name = "lease_principal")
    public String leasePrincipal;

    /** The token the lease was taken with; revoking it releases the lease. */
    @Column(name = "lease_token_id")
    public Long leaseTokenId;

    @Column(name = "created_at")
    public Instant createdAt;
}
