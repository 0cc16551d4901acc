/* One releaser's approval of a version for a channel (issue 25: two-person releases). */
package dev.hookline.registry.governance;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** An approval row; one per (channel, version, approver), never changed. */
@Entity
@Table(name = "release_approval")
public class ReleaseApproval extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "channel_id")
    public Long channelId;

    @Column(name = "version_id")
    public Long versionId;

    public String approver;

    public String comment;

    @Column(name = "approved_at")
    public Instant approvedAt;
}
