"""What a data set asks of a network: classes to tell apart, numbers to predict, or (autoencode) its
own samples to reproduce through a narrower layer."""
CLASSIFICATION, REGRESSION, AUTOENCODE = "classification", "regression", "autoencode"
TASKS = (CLASSIFICATION, REGRESSION)  # what a data set's targets can be; autoencode makes targets of the samples
