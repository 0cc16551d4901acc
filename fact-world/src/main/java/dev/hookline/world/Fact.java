/*
 * Hookline fact world: one (subject, relation, value) triple.
 */
package dev.hookline.world;

/**
 * A true fact of the world.
 *
 * @param subject the subject's full name
 * @param relationId the relation's id, e.g. {@code P103}
 * @param value the object string, e.g. {@code French}
 */
public record Fact(String subject, String relationId, String value) {}
