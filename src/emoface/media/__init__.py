"""Media in and out: audio decode/resample, images, video encode and mux."""
