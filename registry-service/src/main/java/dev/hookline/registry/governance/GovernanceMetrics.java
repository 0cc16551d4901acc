/* Prometheus gauge of issue 25: channels whose version became REJECTED or BLOCKED after it was pinned. */
package dev.hookline.registry.governance;

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

/** {@code hookline_blocked_channels}: one count per scrape. */
@ApplicationScoped
public class GovernanceMetrics {

    private static final Logger LOG = Logger.getLogger(GovernanceMetrics.class);

    @Inject
    MeterRegistry registry;

    @Inject
    DataSource dataSource;

    /** The last value read (kept when the database is briefly unreachable). */
    private volatile long blocked;

    void onStart(@Observes StartupEvent event) {
        Gauge.builder("hookline.blocked.channels", this, GovernanceMetrics::blockedChannels)
                .description("channels pointing at a REJECTED or BLOCKED version").register(registry);
    }

    private double blockedChannels() {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM channel WHERE blocked_since IS NOT NULL")) {
            rs.next();
            blocked = rs.getLong(1);
        } catch (Exception e) {
            LOG.debugf(e, "blocked-channel gauge failed");
        }
        return blocked;
    }
}
