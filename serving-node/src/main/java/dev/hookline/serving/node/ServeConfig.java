/*
 * Settings of one serving node (`./hookline serve`), validated in the compact constructor.
 */
package dev.hookline.serving.node;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Either a registry pin (registry, token, model name, channel or version) or a local pin (a model
 * directory and an optional bundle directory, no registry: for development and the API tests).
 *
 * @param registry registry root URL, null in local mode
 * @param token bearer token with the SERVING role, null in local mode
 * @param model registry model name
 * @param channel channel to follow (e.g. prod), or null
 * @param version exact version id to pin (0 = the base model), or null
 * @param localModel checkpoint directory (local mode)
 * @param localBundle hook bundle directory (local mode, null = base model only)
 * @param cacheDir local blob cache
 * @param nodeName name to register under
 * @param address the node's own URL as registered (may be null)
 * @param pollInterval how often the pin is re-resolved (ETag: usually a 304)
 * @param heartbeatInterval how often the loaded digest is reported when nothing changes
 * @param retryInterval first wait before retrying a refused or failed load (doubles up to 8x)
 */
public record ServeConfig(URI registry, String token, String model, String channel, Long version, Path localModel,
        Path localBundle, Path cacheDir, String nodeName, String address, Duration pollInterval,
        Duration heartbeatInterval, Duration retryInterval) {

    public ServeConfig {
        if (localModel == null) {
            if (registry == null) {
                throw new IllegalArgumentException("--registry URL is required (or a local --model-dir)");
            }
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("--token is required with --registry");
            }
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("--model NAME is required with --registry");
            }
            if ((channel == null) == (version == null)) {
                throw new IllegalArgumentException("give exactly one of --channel NAME or --version ID");
            }
            if (channel != null && !channel.matches("[a-z0-9][a-z0-9._-]*")) {
                throw new IllegalArgumentException("--channel must match [a-z0-9][a-z0-9._-]*, got '" + channel + "'");
            }
            if (version != null && version < 0) {
                throw new IllegalArgumentException("--version must be >= 0, got " + version);
            }
        } else if (registry != null) {
            throw new IllegalArgumentException("give either --registry or a local --model-dir, not both");
        }
        if (cacheDir == null) {
            throw new IllegalArgumentException("a cache directory is required");
        }
        if (nodeName == null || !nodeName.matches("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")) {
            throw new IllegalArgumentException("node name must match [A-Za-z0-9][A-Za-z0-9._:-]{0,127}, got '" + nodeName + "'");
        }
        for (Duration d : new Duration[] {pollInterval, heartbeatInterval, retryInterval}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("poll, heartbeat and retry intervals must be positive");
            }
        }
    }

    /** True when the node serves local directories without a registry. */
    public boolean local() {
        return localModel != null;
    }

    /** "channel prod" or "version 7". */
    public String pinText() {
        return local() ? "local " + localModel + (localBundle == null ? "" : " + " + localBundle)
                : channel != null ? "channel " + channel : "version " + version;
    }
}
