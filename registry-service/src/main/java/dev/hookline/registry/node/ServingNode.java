package dev.hookline.registry.node;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** A serving node and what it runs now (its history is in {@link NodeReport}). */
@Entity
@Table(name = "serving_node")
public class ServingNode extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    public String name;

    @Column(name = "model_id")
    public Long modelId;

    public String channel;

    public String address;

    @Column(name = "registered_by")
    public String registeredBy;

    @Column(name = "registered_at")
    public Instant registeredAt;

    @Column(name = "last_seen_at")
    public Instant lastSeenAt;

    @Column(name = "loaded_version_id")
    public Long loadedVersionId;

    @Column(name = "loaded_digest")
    public String loadedDigest;

    public String status;

    public String message;
}
