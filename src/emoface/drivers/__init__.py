"""Drivers: each turns one input into one layer of a MotionTrack.

Every driver is a pure function of numpy arrays and options returning a
(T, 52) layer or a (T, 6) pose, so each can be called, tested and replaced alone.
"""
