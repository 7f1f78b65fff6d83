"""The inquiry policy: who may learn what, how often, and who is told of a check.

Pure rules, written once for every channel:

- ``askers``: who asks (a provider by key or registered phone, an insured person by a
  verified phone, call-centre staff, the operator at the command line).
- ``disclosure``: what an answer may say to each of them.
- ``quotas``: how many answers each asker, and all providers about one person, may get.
- ``notices``: whose phone is told when a provider checks someone's cover.

``eligibility_gw.inquiries`` applies them around the eligibility service; channels only
render what it returns.
"""
