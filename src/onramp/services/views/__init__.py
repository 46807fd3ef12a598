"""The operator pages for services, the Add Service wizard, Pending Invitations and the
service portal's M365 Configuration. Thin: parse, call one service function or selector,
render; the rules and their messages live in the domain layer."""
