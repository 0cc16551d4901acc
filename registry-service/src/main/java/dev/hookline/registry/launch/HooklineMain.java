package dev.hookline.registry.launch;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Entry point of the registry. With {@code hookline.embedded=true} (the default when no
 * {@code quarkus.datasource.jdbc.url} is given) it first starts the embedded PostgreSQL and S3
 * under {@code hookline.data} (default {@code ~/.hookline}) and hands their addresses to Quarkus
 * as system properties; they stop when the registry stops. Otherwise Quarkus is configured as
 * usual (external PostgreSQL and MinIO).
 */
@QuarkusMain
public class HooklineMain implements QuarkusApplication {

    private static final Logger LOG = Logger.getLogger(HooklineMain.class);

    public static void main(String... args) throws Exception {
        EmbeddedServices embedded = null;
        if (embeddedWanted()) {
            Path data = Path.of(setting("hookline.data", System.getProperty("user.home") + "/.hookline"));
            embedded = EmbeddedServices.start(data, Integer.parseInt(setting("hookline.embedded.pg-port", "0")),
                    Integer.parseInt(setting("hookline.embedded.s3-port", "0")));
            embedded.config().forEach((k, v) -> {
                if (System.getProperty(k) == null) {
                    System.setProperty(k, v);
                }
            });
            // The embedded default listens on loopback only (API and /q/metrics) unless a host is configured.
            if (setting("quarkus.http.host", null) == null) {
                System.setProperty("quarkus.http.host", "127.0.0.1");
            }
            EmbeddedServices services = embedded;
            Runtime.getRuntime().addShutdownHook(new Thread(services::close, "hookline-embedded-stop"));
            LOG.infof("embedded mode: data under %s", data.toAbsolutePath());
        }
        try {
            Quarkus.run(HooklineMain.class, args);
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    @Override
    public int run(String... args) {
        Quarkus.waitForExit();
        return 0;
    }

    private static boolean embeddedWanted() {
        String explicit = setting("hookline.embedded", "auto").toLowerCase(Locale.ROOT);
        if (explicit.equals("true") || explicit.equals("false")) {
            return explicit.equals("true");
        }
        return setting("quarkus.datasource.jdbc.url", null) == null;
    }

    /** A setting from a system property or its environment-variable spelling (MicroProfile rules). */
    static String setting(String key, String fallback) {
        String v = System.getProperty(key);
        if (v == null) {
            v = System.getenv(key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"));
        }
        return v == null || v.isBlank() ? fallback : v;
    }
}
