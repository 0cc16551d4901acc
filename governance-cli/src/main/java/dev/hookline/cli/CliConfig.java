/*
 * Where the CLI finds the registry and the token: flags, then the environment (HOOKLINE_REGISTRY,
 * HOOKLINE_TOKEN), then the config file `hookline login` writes, then http://localhost:8080.
 */
package dev.hookline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * The saved login: {@code {"registry": URL, "token": T}} in {@link #path(Map)} (mode 600).
 *
 * @param registry the registry URL, or null
 * @param token the bearer token, or null
 */
public record CliConfig(String registry, String token) {
    /** The registry a fresh `./hookline up` listens on. */
    public static final String DEFAULT_REGISTRY = "http://localhost:8080";

    /**
     * The config file: {@code HOOKLINE_CONFIG}, else {@code $XDG_CONFIG_HOME/hookline/cli.json}, else
     * {@code ~/.config/hookline/cli.json}.
     */
    public static Path path(Map<String, String> env) {
        String explicit = env.get("HOOKLINE_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("hookline").resolve("cli.json");
    }

    /** Reads the config file; an absent file is an empty config, a malformed one a usage error. */
    public static CliConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            return new CliConfig(null, null);
        }
        try {
            JsonNode n = RegistryClient.json().readTree(file.toFile());
            return new CliConfig(text(n, "registry"), text(n, "token"));
        } catch (IOException e) {
            throw CliException.usage("cannot read " + file + ": " + e.getMessage()
                    + " (run hookline login again, or remove the file)");
        }
    }

    /** Writes the config atomically, readable only by its owner (it holds a token). */
    public void write(Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            ObjectNode n = RegistryClient.json().createObjectNode();
            n.put("registry", registry);
            n.put("token", token);
            Path tmp = Files.createTempFile(dir, ".cli-", ".json");
            try {
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: the directory's permissions apply
                }
                Files.writeString(tmp, RegistryClient.json().writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw CliException.failed("cannot write " + file + ": " + e.getMessage());
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isTextual() && !v.asText().isBlank() ? v.asText().strip() : null;
    }
}
