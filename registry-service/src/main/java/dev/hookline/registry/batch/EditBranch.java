package dev.hookline.registry.batch;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** An ordered chain of batches of one model, forked from a version (null = the base model, version 0). */
@Entity
@Table(name = "edit_branch")
public class EditBranch extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "model_id")
    public Long modelId;

    public String name;

    @Column(name = "fork_version_id")
    public Long forkVersionId;

    @Column(name = "created_at")
    public Instant createdAt;
}
