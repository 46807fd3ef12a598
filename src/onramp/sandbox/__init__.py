"""The sandbox cloud: a local HTTPS stand-in for Microsoft's identity platform and Graph.

Nothing in this package imports Django, so `onramp sandbox` can start it before settings load.
"""
