/*
 * Name binding of console resources (JAX-RS 2.0 @NameBinding): the response filter adds the
 * console's security headers to them and to nothing else (the /api answers stay as they are).
 */
package dev.hookline.console.session;

import jakarta.ws.rs.NameBinding;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Marks console resources. */
@NameBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface ConsolePage {
}
