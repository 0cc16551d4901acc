package dev.hookline.registry.auth;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The roles that may call a resource method. Every {@code /api} method carries one; the
 * {@link AuthFilter} refuses methods without it. An empty list means any authenticated caller.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD})
public @interface Allow {
    Role[] value() default {};
}
