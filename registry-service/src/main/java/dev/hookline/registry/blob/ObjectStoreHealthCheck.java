package dev.hookline.registry.blob;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: the object store answers and the bucket exists (the database check is Quarkus's own). */
@Readiness
@ApplicationScoped
public class ObjectStoreHealthCheck implements HealthCheck {

    @Inject
    BlobStore store;

    @Inject
    S3Config config;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("object-store").status(store.ready())
                .withData("endpoint", config.endpoint()).withData("bucket", config.bucket()).build();
    }
}
