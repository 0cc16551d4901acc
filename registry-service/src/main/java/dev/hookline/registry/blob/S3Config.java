package dev.hookline.registry.blob;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Optional;

/** Object store settings ({@code hookline.s3.*}); MinIO or any S3 endpoint. */
@ConfigMapping(prefix = "hookline.s3")
public interface S3Config {

    /** S3 endpoint the registry talks to, e.g. {@code http://minio:9000}. */
    String endpoint();

    /** Endpoint written into presigned URLs when nodes reach the store by another address. */
    Optional<String> publicEndpoint();

    @WithDefault("hookline")
    String accessKey();

    @WithDefault("hookline-secret")
    String secretKey();

    @WithDefault("hookline")
    String bucket();

    @WithDefault("us-east-1")
    String region();

    /** Lifetime of presigned GET URLs handed to serving nodes. */
    @WithDefault("300")
    int presignSeconds();
}
