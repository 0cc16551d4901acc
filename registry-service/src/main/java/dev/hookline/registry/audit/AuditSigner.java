/*
 * The registry's signature over the audit chain (issue 26): the database login may INSERT into
 * audit_event (it must), so a plain hash chain can be extended by anyone holding it. Each event
 * carries HMAC-SHA256(key, "event:" + hash) under a key that lives outside the database
 * (hookline.audit.hmac-key, or a key file beside the data), and checkpoints of the chain head are
 * signed the same way. RFC 2104 HMAC via javax.crypto.
 */
package dev.hookline.registry.audit;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/** HMAC signatures of audit events and chain checkpoints. */
@ApplicationScoped
public class AuditSigner {

    private static final Logger LOG = Logger.getLogger(AuditSigner.class);

    /** The key itself (at least 32 characters); wins over the key file. */
    @ConfigProperty(name = "hookline.audit.hmac-key")
    Optional<String> configuredKey;

    /** Where the key is kept when not configured; created (mode 600) on first start. */
    @ConfigProperty(name = "hookline.audit.hmac-key-file")
    Optional<String> keyFile;

    @ConfigProperty(name = "hookline.data")
    Optional<String> dataDir;

    private SecretKeySpec key;

    @PostConstruct
    void init() {
        key = new SecretKeySpec(loadKey(), "HmacSHA256");
    }

    private byte[] loadKey() {
        if (configuredKey.isPresent() && !configuredKey.get().isBlank()) {
            String k = configuredKey.get().trim();
            if (k.length() < 32) {
                throw new IllegalStateException("hookline.audit.hmac-key must have at least 32 characters");
            }
            return k.getBytes(StandardCharsets.UTF_8);
        }
        Path file = Path.of(keyFile.orElseGet(() -> dataDir.orElse(System.getProperty("user.home") + "/.hookline")
                + "/audit-hmac-key"));
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                byte[] raw = new byte[32];
                new SecureRandom().nextBytes(raw);
                Files.writeString(file, HexFormat.of().formatHex(raw) + "\n");
                try {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    LOG.warnf("could not restrict the permissions of %s", file);
                }
                LOG.infof("created the audit HMAC key %s (keep it outside the database and its backups)", file);
            }
            String k = Files.readString(file).trim();
            if (k.length() < 32) {
                throw new IllegalStateException("the audit HMAC key in " + file + " has fewer than 32 characters");
            }
            return k.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read or create the audit HMAC key " + file, e);
        }
    }

    /** The signature of an event with chain hash {@code hash}. */
    public String signEvent(String hash) {
        return mac("event:" + hash.trim());
    }

    /** The signature of a checkpoint: the chain's head at {@code seq} had {@code hash}. */
    public String signCheckpoint(long seq, String hash, String at) {
        return mac("checkpoint:" + seq + ":" + hash.trim() + ":" + at);
    }

    /** Constant-time comparison of a signature with the expected one. */
    public static boolean matches(String expected, String actual) {
        if (expected == null || actual == null) {
            return false;
        }
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                actual.trim().getBytes(StandardCharsets.US_ASCII));
    }

    private String mac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException("HMAC-SHA256 failed", e);
        }
    }
}
