package dev.hookline.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EditRequestTest {

  @Test
  void validRequestFillsItsPromptAndIsImmutable() {
    List<String> para = new ArrayList<>(List.of("p1"));
    EditRequest r = new EditRequest("3", "Ann Lee", "The mother tongue of {} is", "German", null,
        para, List.of("n1"), "French", List.of(), List.of());
    para.add("p2");
    assertEquals(List.of("p1"), r.paraphrasePrompts());
    assertEquals("The mother tongue of Ann Lee is", r.filledPrompt());
    assertThrows(UnsupportedOperationException.class, () -> r.neighborhoodPrompts().add("x"));
  }

  @Test
  void invalidRequestsAreRejected() {
    var e = assertThrows(IllegalArgumentException.class, () -> new EditRequest("3", "Ann Lee", "no placeholder", "German",
        null, List.of(), List.of(), null, List.of(), List.of()));
    assertTrue(e.getMessage().contains("edit request 3: prompt must contain {}"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new EditRequest("3", " ", "{} x", "German",
        null, List.of(), List.of(), null, List.of(), List.of()));
    assertThrows(IllegalArgumentException.class, () -> new EditRequest("3", "A B", "{} x", "",
        null, List.of(), List.of(), null, List.of(), List.of()));
    e = assertThrows(IllegalArgumentException.class, () -> new EditRequest("3", "A B", "{} x", "y",
        null, List.of(), List.of("n"), null, List.of(), List.of()));
    assertTrue(e.getMessage().contains("neighborhoodTarget"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new EditRequest("3", "A B", "{} x", "y",
        null, List.of(), List.of(), null, List.of("l1", "l2"), List.of("t1")));
    assertTrue(e.getMessage().contains("2 locality prompts but 1 locality targets"), e.getMessage());
  }
}
