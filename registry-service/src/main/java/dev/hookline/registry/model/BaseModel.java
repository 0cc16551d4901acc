package dev.hookline.registry.model;

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

/** A frozen base checkpoint: version 0 of every hook lineage of this model. */
@Entity
@Table(name = "base_model")
public class BaseModel extends PanacheEntityBase {

    /** REGISTERED: checkpoint blobs present; STATS_READY: per-layer covariance statistics too. */
    public enum Status { REGISTERED, STATS_READY }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    public String name;

    public String architecture;

    /** The HF config.json content as canonical JSON. */
    @Column(name = "config_json")
    public String configJson;

    /** Manifest entries of config.json, model.safetensors, tokenizer.json (canonical JSON). */
    @Column(name = "checkpoint_json")
    public String checkpointJson;

    /** Manifest entries of the covariance statistics per layer, null until a worker adds them. */
    @Column(name = "stats_json")
    public String statsJson;

    /**
     * Edit defaults per method (canonical JSON, method wire name -> hyperparameters a batch on this model takes
     * where it names none); {@code {}} for none.
     */
    @Column(name = "edit_defaults_json")
    public String editDefaultsJson = "{}";

    @Enumerated(EnumType.STRING)
    public Status status;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "created_by")
    public String createdBy;
}
