package dev.hookline.registry.batch;

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
 * One batch of fact edits on a branch. {@code parentVersionId} is fixed when a worker leases the
 * batch: the newest version produced on the branch before it (null = base model).
 */
@Entity
@Table(name = "edit_batch")
public class EditBatch extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "model_id")
    public Long modelId;

    @Column(name = "branch_id")
    public Long branchId;

    /** 1-based position on the branch; batches are computed in this order. */
    public int position;

    @Column(name = "parent_version_id")
    public Long parentVersionId;

    public String submitter;

    public String reason;

    public String ticket;

    @Enumerated(EnumType.STRING)
    public EditMethod method;

    @Column(name = "hyperparameters_json")
    public String hyperparametersJson;

    /**
     * The model's edit defaults for this batch's method when it was submitted (canonical JSON object; null or
     * {@code {}}: none): the worker applies them where the batch names nothing, so the batch's inputs are fixed
     * at submission whatever the model's defaults become later.
     */
    @Column(name = "model_defaults_json")
    public String modelDefaultsJson;

    @Enumerated(EnumType.STRING)
    public BatchStatus status;

    public String phase;

    public Integer percent;

    public String error;

    @Column(name = "result_version_id")
    public Long resultVersionId;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "updated_at")
    public Instant updatedAt;

    /** Set on a revert batch: the batch whose facts it leaves out. */
    @Column(name = "reverts_batch_id")
    public Long revertsBatchId;

    /** On a revert batch: JSON array of the ids of the later batches it replays, in order. */
    @Column(name = "replays_json")
    public String replaysJson;
}
