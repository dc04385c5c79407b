"""What the apps share, kept out of ``apps/*.py`` so that neither way of serving the folder serves it.

``panel serve apps/*.py`` serves every file the glob names and ``panel serve apps/`` serves
``apps/main.py``; a package inside ``apps/`` is reached by neither, so only the apps are pages.
The apps put their folder on ``sys.path`` and import these modules as ``ui.<name>``:

==================  =============================================================================
``shared``          one store and one job runner per process, rights, messages, the page frame
``editing``         the timetable app's manual editing and free-resource heatmaps
``approval``        the approval-workflow controls of the variants and workflow apps
``signin``          the sign-in page, with a back-off after wrong passwords
``server_setup``    ``panel serve --setup apps/ui/server_setup.py``: sign-in checks, runner start
==================  =============================================================================
"""
