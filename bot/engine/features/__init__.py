"""The dialogue engine's features, one module each: onboarding and settings, questions,
browsing, reminders, admin, quiz and lesson material. Each feature class names the
commands and the button kinds it answers in two tables (`commands`, `buttons`); the
router in `bot.engine.router` dispatches through them, so there is no long if-chain."""
