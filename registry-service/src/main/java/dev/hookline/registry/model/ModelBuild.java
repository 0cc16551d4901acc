package dev.hookline.registry.model;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/**
 * A base model being built (pretrained) before it is registered, with the progress its builder
 * reports: what `./hookline up` shows while the demo-world model pretrains on a fresh install.
 */
@Entity
@Table(name = "model_build")
public class ModelBuild extends PanacheEntityBase {

    /** PRETRAINING -> REGISTERING -> READY, or FAILED. */
    public enum Status { PRETRAINING, REGISTERING, READY, FAILED }

    @Id
    public String name;

    public String preset;

    @Enumerated(EnumType.STRING)
    public Status status;

    public String phase;

    public int percent;

    public String message;

    @Column(name = "model_id")
    public Long modelId;

    @Column(name = "started_at")
    public Instant startedAt;

    @Column(name = "updated_at")
    public Instant updatedAt;

    @Column(name = "updated_by")
    public String updatedBy;
}
