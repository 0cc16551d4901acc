package dev.hookline.registry.ops;

import dev.hookline.registry.batch.BatchStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.Map;

/**
 * Prometheus gauges at /q/metrics: batches by status ({@code hookline_batches{status=...}}),
 * age of the oldest live lease ({@code hookline_oldest_lease_age_seconds}) and audit length
 * ({@code hookline_audit_events}). Read with plain JDBC, at most once per second.
 */
@ApplicationScoped
public class RegistryMetrics {

    private static final Logger LOG = Logger.getLogger(RegistryMetrics.class);
    private static final long MAX_AGE_MS = 1000;

    @Inject
    MeterRegistry registry;

    @Inject
    DataSource dataSource;

    private volatile Snapshot snapshot = new Snapshot(new EnumMap<>(BatchStatus.class), 0, 0, 0);

    private record Snapshot(Map<BatchStatus, Long> batches, double oldestLeaseAge, long auditEvents, long takenAt) {
    }

    void onStart(@Observes StartupEvent event) {
        for (BatchStatus s : BatchStatus.values()) {
            Gauge.builder("hookline.batches", this, m -> m.current().batches().getOrDefault(s, 0L))
                    .description("edit batches by status").tag("status", s.name()).register(registry);
        }
        Gauge.builder("hookline.oldest.lease.age.seconds", this, m -> m.current().oldestLeaseAge())
                .description("age of the oldest job lease still held").register(registry);
        Gauge.builder("hookline.audit.events", this, m -> m.current().auditEvents())
                .description("length of the audit chain").register(registry);
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        if (System.currentTimeMillis() - s.takenAt() < MAX_AGE_MS) {
            return s;
        }
        synchronized (this) {
            if (System.currentTimeMillis() - snapshot.takenAt() < MAX_AGE_MS) {
                return snapshot;
            }
            try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
                Map<BatchStatus, Long> batches = new EnumMap<>(BatchStatus.class);
                try (ResultSet rs = st.executeQuery("SELECT status, count(*) FROM edit_batch GROUP BY status")) {
                    while (rs.next()) {
                        batches.put(BatchStatus.valueOf(rs.getString(1)), rs.getLong(2));
                    }
                }
                double age = 0;
                try (ResultSet rs = st.executeQuery("SELECT COALESCE(EXTRACT(EPOCH FROM (now() - min(leased_at))), 0) "
                        + "FROM edit_job WHERE status = 'LEASED'")) {
                    if (rs.next()) {
                        age = rs.getDouble(1);
                    }
                }
                long audit = 0;
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM audit_event")) {
                    if (rs.next()) {
                        audit = rs.getLong(1);
                    }
                }
                snapshot = new Snapshot(batches, age, audit, System.currentTimeMillis());
            } catch (Exception e) {
                LOG.debugf(e, "metrics snapshot failed");
            }
            return snapshot;
        }
    }
}
