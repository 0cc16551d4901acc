/*
 * How the blobs of a registry hook version map back to the files of an engine hook bundle
 * (formats hookline-hook-bundle/1 and /2, written by HookBundle.write): the registry manifest's role of
 * a blob is the bundle file name. Base checkpoints follow the same rule (config.json,
 * model.safetensors, tokenizer.json). Reference: docs/API.md (manifest entries), edit-engine
 * HookBundle.
 */
package dev.hookline.serving.pull;

import dev.hookline.engine.bundle.HookBundle;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Role names of the blobs a serving node needs.
 *
 * <p>Convention (shared with the editor worker): {@code manifest.serving} lists
 * {@code manifest.json} and {@code serving.safetensors}; {@code manifest.editing} lists
 * {@code editing.safetensors} (and may repeat {@code manifest.json}). The node downloads only the
 * serving entries. For tolerance towards a worker that prefixes roles (e.g. {@code bundle/manifest.json})
 * or names the part only ({@code serving}, the role the bundle's own manifest uses), those forms
 * map to the same files; any other role is refused by name.
 */
public final class BundleRoles {
    /** Registry role of the bundle's manifest.json (its sha256 is the engine's version digest). */
    public static final String MANIFEST = HookBundle.MANIFEST;
    /** Registry role of the serving tensors (delta.l, alpha.l; span bundles also scope_preserve_inv.l, scope_accu_inv.l). */
    public static final String SERVING = HookBundle.SERVING;
    /** Registry role of the editing state (c_accu.l); never downloaded by a node. */
    public static final String EDITING = HookBundle.EDITING;
    /** Base checkpoint roles, equal to the HF file names. */
    public static final List<String> CHECKPOINT = List.of("config.json", "model.safetensors", "tokenizer.json");

    private BundleRoles() {
    }

    /** The bundle file a serving-manifest role stands for, or empty if the role is unknown. */
    public static Optional<String> servingFile(String role) {
        if (role == null) {
            return Optional.empty();
        }
        String r = role.toLowerCase(Locale.ROOT);
        int slash = r.lastIndexOf('/');
        if (slash >= 0) {
            r = r.substring(slash + 1);
        }
        return switch (r) {
            case MANIFEST, "manifest", "bundle.manifest" -> Optional.of(MANIFEST);
            case SERVING, "serving", "bundle.serving" -> Optional.of(SERVING);
            default -> Optional.empty();
        };
    }

    /** The checkpoint file a base-checkpoint role stands for, or empty if unknown. */
    public static Optional<String> checkpointFile(String role) {
        return role != null && CHECKPOINT.contains(role) ? Optional.of(role) : Optional.empty();
    }
}
