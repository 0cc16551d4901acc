package dev.hookline.registry.channel;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** One move of a channel (history row; never changed). */
@Entity
@Table(name = "channel_move")
public class ChannelMove extends PanacheEntityBase {

    /** PIN: moved to a chosen version; ROLLBACK: moved back. */
    public enum Kind { PIN, ROLLBACK }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "channel_id")
    public Long channelId;

    @Column(name = "from_version_id")
    public Long fromVersionId;

    @Column(name = "to_version_id")
    public Long toVersionId;

    public String kind;

    public String actor;

    public String reason;

    @Column(name = "moved_at")
    public Instant movedAt;
}
