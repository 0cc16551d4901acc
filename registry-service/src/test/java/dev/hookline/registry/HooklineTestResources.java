package dev.hookline.registry;

import dev.hookline.registry.launch.EmbeddedServices;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Starts a real PostgreSQL (zonky) and a real S3 endpoint (S3Proxy) on free ports for the whole
 * test run, and hands Quarkus their configuration plus a known admin token.
 */
public class HooklineTestResources implements QuarkusTestResourceLifecycleManager {

    /** The bootstrap admin token of the test instance. */
    public static final String ADMIN_TOKEN = "hl_test_admin_token_0123456789";

    /** The audit HMAC key of the test instance (outside the database, as in production). */
    public static final String AUDIT_KEY = "test-audit-hmac-key-0123456789abcdef";

    private static EmbeddedServices services;
    private static Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("hookline-test-");
            services = EmbeddedServices.start(dir, 0, 0);
        } catch (Exception e) {
            throw new IllegalStateException("could not start embedded PostgreSQL / S3", e);
        }
        Map<String, String> config = new java.util.HashMap<>(services.config());
        config.put("hookline.admin-token", ADMIN_TOKEN);
        config.put("hookline.jobs.lease-seconds", "30");
        config.put("hookline.s3.presign-seconds", "60");
        // Short enough that PresignedUploadTest sees an upload URL expire; clients PUT at once.
        config.put("hookline.blobs.upload-url-seconds", "10");
        config.put("hookline.audit.hmac-key", AUDIT_KEY);
        return config;
    }

    @Override
    public void stop() {
        if (services != null) {
            services.close();
        }
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // temp dir; best effort
            }
        }
    }

    /** A JDBC connection as the superuser (the schema owner, what Flyway uses). */
    public static Connection superuser() throws SQLException {
        return DriverManager.getConnection(services.jdbcUrl(), "postgres", "postgres");
    }

    /** A JDBC connection as the registry's application role. */
    public static Connection appRole() throws SQLException {
        return DriverManager.getConnection(services.jdbcUrl(), "hookline_app", "hookline_app");
    }

    /** Row count of a table, read as the superuser. */
    public static long count(String table) {
        try (Connection c = superuser(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
