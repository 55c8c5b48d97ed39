"""Helper library for the EV equity-research notebooks: data, models, plots, results, runner."""
