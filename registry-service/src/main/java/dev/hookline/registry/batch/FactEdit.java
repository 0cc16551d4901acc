package dev.hookline.registry.batch;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One requested fact change: subject, prompt template with one {@code {}}, new target. */
@Entity
@Table(name = "fact_edit")
public class FactEdit extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "batch_id")
    public Long batchId;

    /** 0-based order within the batch. */
    public int ordinal;

    public String subject;

    /** Template with exactly one {@code {}} where the subject goes. */
    public String prompt;

    @Column(name = "target_new")
    public String targetNew;

    @Column(name = "target_true")
    public String targetTrue;

    /** JSON array of paraphrase prompts. */
    @Column(name = "paraphrases_json")
    public String paraphrasesJson;

    /** JSON array of {prompt, expected} locality probes. */
    @Column(name = "locality_json")
    public String localityJson;

    /** The relation the fact belongs to (e.g. "P103"), or null; coachhook-span-relation keeps a span per relation. */
    public String relation;

    /** The earlier edit of the same fact this edit knowingly replaces, or null. */
    @Column(name = "supersedes_edit_id")
    public Long supersedesEditId;
}
