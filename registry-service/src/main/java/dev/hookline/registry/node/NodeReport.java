package dev.hookline.registry.node;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** A change in what a node runs (history row, appended whenever the reported state changes). */
@Entity
@Table(name = "node_report")
public class NodeReport extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "node_id")
    public Long nodeId;

    @Column(name = "reported_at")
    public Instant reportedAt;

    @Column(name = "loaded_version_id")
    public Long loadedVersionId;

    @Column(name = "loaded_digest")
    public String loadedDigest;

    public String status;

    public String message;
}
