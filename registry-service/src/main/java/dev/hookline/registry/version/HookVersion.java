package dev.hookline.registry.version;

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

/**
 * An immutable hook version: the result of one batch step on top of its parent (null = base
 * model, version 0). Only {@code state} and the review fields change, once.
 */
@Entity
@Table(name = "hook_version")
public class HookVersion extends PanacheEntityBase {

    /**
     * TEMPORARY until a reviewer validates or rejects it; BLOCKED when an ancestor was rejected
     * (it carries that ancestor's facts, so it can never be validated or pinned).
     */
    public enum State { TEMPORARY, VALIDATED, REJECTED, BLOCKED }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "model_id")
    public Long modelId;

    /** 1-based number within the model (version 0 is the base model). */
    public int number;

    @Column(name = "parent_version_id")
    public Long parentVersionId;

    @Column(name = "batch_id")
    public Long batchId;

    public String method;

    @Column(name = "hyperparameters_json")
    public String hyperparametersJson;

    /** Per-layer alpha schedule [{layer, before, after}] (canonical JSON). */
    @Column(name = "alpha_json")
    public String alphaJson;

    /** {serving: [...], editing: [...]} manifest entries (canonical JSON). */
    @Column(name = "manifest_json")
    public String manifestJson;

    /** {@code sha256:<hex>} over the canonical manifest. */
    @Column(name = "bundle_digest")
    public String bundleDigest;

    @Column(name = "metrics_json")
    public String metricsJson;

    @Column(name = "edits_cumulative")
    public int editsCumulative;

    @Enumerated(EnumType.STRING)
    public State state;

    public String reviewer;

    @Column(name = "review_comment")
    public String reviewComment;

    @Column(name = "reviewed_at")
    public Instant reviewedAt;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "created_by")
    public String createdBy;

    /** The rejected ancestor that made this version BLOCKED. */
    @Column(name = "blocked_by")
    public Long blockedBy;

    /** The reviewer's reason for validating below the model's quality gate. */
    @Column(name = "gate_override")
    public String gateOverride;

    /** Per-fact evidence measured by the worker (canonical JSON), or null. */
    @Column(name = "evidence_json")
    public String evidenceJson;
}
