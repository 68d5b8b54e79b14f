"""What a data set asks of a network: classes to tell apart, or numbers to predict."""
CLASSIFICATION, REGRESSION = "classification", "regression"
TASKS = (CLASSIFICATION, REGRESSION)
