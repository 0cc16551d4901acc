/* What an editor worker said it can run when it started (issue 25: batches are checked at submission). */
package dev.hookline.registry.governance;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** One row per worker name; a restart replaces it. */
@Entity
@Table(name = "worker_registration")
public class WorkerRegistration extends PanacheEntityBase {

    @Id
    public String name;

    /** The one model the worker runs batches of, or null for any model. */
    @Column(name = "model_id")
    public Long modelId;

    /** {"method": {"hyperparameters": {"name": {"type": ...}}}} (canonical JSON). */
    @Column(name = "methods_json")
    public String methodsJson;

    @Column(name = "registered_by")
    public String registeredBy;

    @Column(name = "registered_at")
    public Instant registeredAt;
}
