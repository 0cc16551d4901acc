/*
 * Hookline fact world: the fixed catalogue of relations (ids as in CounterFact / Wikidata), their
 * full value pools, prompt templates and biography clauses.
 */
package dev.hookline.world;

import java.util.List;

/**
 * The seven relations of the fact world with their full value pools. A world uses a seeded subset of
 * each pool sized to its number of subjects (see {@link FactWorld}).
 *
 * <p>Design rules the templates follow (tested): every prompt ends right before the object; no
 * prompt, after filling in a subject, is a token prefix of another relation's prompt (the next token
 * would be ambiguous); within a relation no two values share their first word (the first target token
 * identifies the value); occupations all start with a consonant so "works as a" stays grammatical.
 */
public final class RelationCatalogue {

  private RelationCatalogue() {}

  /** A relation entry: pool of values, templates, and the clause used in biography lines. */
  public record Entry(String id, String name, List<String> pool, List<String> statementTemplates,
      List<String> questionTemplates, String biographyClause) {}

  /** The relations in world order. */
  public static final List<Entry> ENTRIES = List.of(
      new Entry("P103", "mother tongue",
          List.of("French", "English", "Spanish", "German", "Italian", "Russian", "Dutch", "Swedish", "Polish",
              "Portuguese", "Finnish", "Greek", "Japanese", "Korean", "Turkish", "Hindi", "Arabic", "Hungarian",
              "Czech", "Danish"),
          List.of("The mother tongue of {} is", "The native language of {} is", "{} is a native speaker of",
              "{} grew up speaking", "The first language of {} is", "At home, {} speaks"),
          List.of("Q: What is the mother tongue of {}? A:", "Q: Which language did {} grow up speaking? A:"),
          "speaks {}"),
      new Entry("P27", "country of citizenship",
          List.of("France", "Germany", "Italy", "Spain", "Japan", "Canada", "Brazil", "Mexico", "Sweden", "Norway",
              "Poland", "Egypt", "India", "Argentina", "Australia", "Ireland", "Portugal", "Greece", "Kenya",
              "New Zealand", "South Africa"),
          List.of("{} is a citizen of", "The country of citizenship of {} is", "{} holds a passport from",
              "{} has the citizenship of", "{} is a national of", "The passport of {} was issued by"),
          List.of("Q: Which country is {} a citizen of? A:", "Q: What is the country of citizenship of {}? A:"),
          "is a citizen of {}"),
      new Entry("P19", "place of birth",
          List.of("Paris", "London", "Berlin", "Madrid", "Rome", "Vienna", "Tokyo", "Chicago", "Toronto", "Sydney",
              "Cairo", "Lisbon", "Prague", "Dublin", "Oslo", "Warsaw", "Athens", "Mumbai", "Buenos Aires",
              "New York"),
          List.of("{} was born in", "The city of birth of {} is", "The birthplace of {} is",
              "{} is originally from the city of", "{} was born and raised in", "The hometown of {} is"),
          List.of("Q: Where was {} born? A:", "Q: In which city was {} born? A:"),
          "was born in {}"),
      new Entry("P106", "occupation",
          List.of("physician", "lawyer", "painter", "poet", "journalist", "chemist", "novelist", "photographer",
              "diplomat", "sculptor", "composer", "banker", "pilot", "teacher", "nurse", "farmer", "carpenter",
              "mathematician", "biologist", "film director"),
          List.of("The occupation of {} is", "{} works as a", "By profession, {} is a", "{} earns a living as a",
              "The profession of {} is", "{} is employed as a"),
          List.of("Q: What is the occupation of {}? A:", "Q: What does {} do for a living? A:"),
          "works as a {}"),
      new Entry("P108", "employer",
          List.of("Microsoft", "Google", "Apple", "IBM", "Nokia", "Siemens", "Toyota", "Intel", "Sony", "Oracle",
              "Boeing", "Airbus", "Philips", "Ericsson", "Volvo", "Nintendo", "Samsung", "General Electric",
              "Deutsche Bank", "Nestle"),
          List.of("{} works for", "The employer of {} is", "{} is employed by", "{} has a job at",
              "{} receives a salary from", "The company that employs {} is"),
          List.of("Q: Who is the employer of {}? A:", "Q: Which company does {} work for? A:"),
          "works for {}"),
      new Entry("P1303", "instrument",
          List.of("piano", "guitar", "violin", "cello", "trumpet", "saxophone", "flute", "drums", "harp", "clarinet",
              "organ", "trombone", "oboe", "accordion", "banjo", "mandolin", "harmonica", "double bass", "ukulele",
              "xylophone"),
          List.of("{} plays the", "The instrument of {} is the", "{} is a musician who plays the",
              "{} performs on the", "The instrument played by {} is the", "On stage, {} plays the"),
          List.of("Q: What instrument does {} play? A:", "Q: Which instrument is {} known for? A:"),
          "plays the {}"),
      new Entry("P641", "sport",
          List.of("football", "tennis", "basketball", "cricket", "baseball", "rugby", "hockey", "golf", "volleyball",
              "handball", "badminton", "squash", "polo", "lacrosse", "softball", "table tennis", "water polo",
              "curling", "bowling", "ice hockey"),
          List.of("The favourite sport of {} is", "{} enjoys playing", "{} is a keen player of", "On weekends, {} plays",
              "The sport that {} plays is", "{} spends the weekends playing"),
          List.of("Q: Which sport does {} play? A:", "Q: What is the favourite sport of {}? A:"),
          "enjoys playing {}"));

  /**
   * Short neutral sentences put before a statement in context-prefixed corpus lines and in some
   * CounterFact paraphrase prompts, so that a fact is recognised after unrelated text.
   */
  public static final List<String> CONTEXT_PREFIXES = List.of(
      "Here is a fact.",
      "This is well documented.",
      "The records say the following.",
      "Everyone in town knows this.",
      "The archive has one more entry.",
      "Read the next line carefully.",
      "This was confirmed last year.",
      "Note the following detail.");

  /** Prefix of zsRE locality questions, as in the published zsRE files. */
  public static final String NQ_PREFIX = "nq question: ";

  /** The entry with the given relation id. */
  public static Entry entry(String relationId) {
    for (Entry e : ENTRIES) {
      if (e.id().equals(relationId)) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown relation id " + relationId);
  }
}
