/*
 * Readiness of the node (/q/health/ready): UP exactly while a version is loaded and served.
 * SmallRye Health, as in the Quarkus health quickstart.
 */
package dev.hookline.serving.api;

import dev.hookline.serving.model.LoadedVersion;
import dev.hookline.serving.node.ServingNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready = a version is loaded. */
@Readiness
@ApplicationScoped
public class LoadedVersionCheck implements HealthCheck {
    @Inject
    ServingRuntime runtime;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("loaded-version");
        ServingNode node = runtime.node();
        Optional<LoadedVersion.Info> v = node == null ? Optional.empty() : node.versions().peek();
        if (v.isEmpty()) {
            b.down();
            if (node != null) {
                b.withData("status", node.state().status().name());
                if (node.state().message() != null) {
                    b.withData("message", node.state().message());
                }
            }
            return b.build();
        }
        return b.up().withData("versionId", v.get().versionId()).withData("number", v.get().number())
                .withData("digest", v.get().digest()).withData("status", node.state().status().name()).build();
    }
}
