/// Preference-optimisation losses, AdamW, schedules, the trainer loop and checkpoints.
public enum IRPOTraining {}
