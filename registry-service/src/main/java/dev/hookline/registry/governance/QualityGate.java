/* Quality gate of one model (issue 25): thresholds a version must meet to be validated without override. */
package dev.hookline.registry.governance;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** Per-model thresholds set by an ADMIN; a null threshold is not checked. */
@Entity
@Table(name = "quality_gate")
public class QualityGate extends PanacheEntityBase {

    @Id
    @Column(name = "model_id")
    public Long modelId;

    @Column(name = "min_reliability")
    public Double minReliability;

    @Column(name = "min_generality")
    public Double minGenerality;

    @Column(name = "min_locality")
    public Double minLocality;

    /** Largest tolerated share of earlier edits lost (1 - regression.reliability). */
    @Column(name = "max_regression")
    public Double maxRegression;

    @Column(name = "updated_at")
    public Instant updatedAt;

    @Column(name = "updated_by")
    public String updatedBy;
}
