/*
 * `hookline explain`: per hooked layer and token of a prompt, the scope test's m, score (z, or
 * rho for span-scope bundles), alpha and whether the hooked output was used.
 */
package dev.hookline.engine.cli;

import dev.hookline.engine.bundle.HookedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code explain --model DIR --bundle DIR --prompt TEXT}. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Show the scope test of a hook bundle on a prompt: m, z (rho for span bundles), alpha, swapped per layer and token.")
public final class ExplainCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "base checkpoint directory")
    Path model;

    @Option(names = "--bundle", required = true, description = "hook bundle directory")
    Path bundle;

    @Option(names = "--prompt", required = true, description = "prompt text")
    String prompt;

    @Option(names = "--tokens", defaultValue = "5", description = "greedy continuation length to show")
    int tokens;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException("model directory not found: " + model);
        }
        if (!Files.isDirectory(bundle)) {
            throw new IllegalArgumentException("bundle directory not found: " + bundle);
        }
        if (prompt.isBlank()) {
            throw new IllegalArgumentException("--prompt is blank");
        }
        try (HookedModel hooked = HookedModel.open(model, bundle)) {
            // The span scope thresholds rho (the key's whitened share in the edited span), not a z-score.
            String score = hooked.scope().startsWith("span") || hooked.scope().equals("nearest") ? "rho" : "z";
            System.out.println("bundle " + hooked.bundleDigest() + " (" + hooked.edits() + " edits, scope "
                    + hooked.scope() + ")");
            System.out.printf(Locale.ROOT, "%-5s %-4s %-16s %10s %8s %8s %s%n", "layer", "pos", "token", "m", score,
                    "alpha", "swapped");
            for (HookedModel.TokenTrace t : hooked.explain(prompt)) {
                System.out.printf(Locale.ROOT, "%-5d %-4d %-16s %10.4f %8s %8.3f %s%n", t.layer(), t.position(),
                        t.token(), t.m(), Double.isNaN(t.z()) ? "undef" : String.format(Locale.ROOT, "%.3f", t.z()),
                        t.alpha(), t.swapped() ? "yes" : "no");
            }
            System.out.println("completion: " + prompt + " ->" + hooked.generate(prompt, tokens).completion());
        }
        return 0;
    }
}
