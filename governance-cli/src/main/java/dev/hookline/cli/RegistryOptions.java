/*
 * The connection options every registry command shares (a picocli mixin): --registry, --token,
 * --token-file, resolved flag > environment > `hookline login` config > default.
 */
package dev.hookline.cli;

import dev.hookline.client.RegistryClient;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Registry URL and token options; {@link #client()} builds the client from them. */
public final class RegistryOptions {
    @Option(names = "--registry", paramLabel = "URL",
            description = "Registry URL. Default: env HOOKLINE_REGISTRY, else the URL saved by `hookline login`, "
                    + "else " + CliConfig.DEFAULT_REGISTRY + ".")
    String registry;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "API token. Default: env HOOKLINE_TOKEN, else the token saved by `hookline login`.")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Read the API token from FILE (first line).")
    Path tokenFile;

    /** The environment the CLI reads (replaceable in tests). */
    static Map<String, String> env = System.getenv();

    /** The registry URL after resolution. */
    public String registryUrl() {
        if (registry != null && !registry.isBlank()) {
            return registry.strip();
        }
        String e = env.get("HOOKLINE_REGISTRY");
        if (e != null && !e.isBlank()) {
            return e.strip();
        }
        CliConfig c = CliConfig.read(CliConfig.path(env));
        return c.registry() != null ? c.registry() : CliConfig.DEFAULT_REGISTRY;
    }

    /** The token after resolution, or null when none is configured anywhere. */
    public String tokenValue() {
        if (token != null && !token.isBlank()) {
            return token.strip();
        }
        if (tokenFile != null) {
            return readTokenFile(tokenFile);
        }
        String e = env.get("HOOKLINE_TOKEN");
        if (e != null && !e.isBlank()) {
            return e.strip();
        }
        return CliConfig.read(CliConfig.path(env)).token();
    }

    /** A client for the resolved registry and token; a usage error when either is unusable. */
    public RegistryClient client() {
        String url = registryUrl();
        String t = tokenValue();
        if (t == null) {
            throw CliException.usage("no API token: run `hookline login --token T`, set HOOKLINE_TOKEN, or pass --token");
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--registry: not a URL: " + url);
        }
        try {
            // one attempt per GET: a shell user wants a prompt answer, and the CLI's own loops (watch) poll again
            return new RegistryClient(uri, t, RegistryClient.Options.defaults().withAttempts(2));
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    static String readTokenFile(Path file) {
        try {
            String s = Files.readString(file).strip();
            int nl = s.indexOf('\n');
            s = nl < 0 ? s : s.substring(0, nl).strip();
            if (s.isEmpty()) {
                throw CliException.usage("--token-file " + file + " is empty");
            }
            return s;
        } catch (IOException e) {
            throw CliException.usage("cannot read --token-file " + file + ": " + e.getMessage());
        }
    }
}
