"""Vocabularies of the policy domain, with the labels shown to people."""

PRIORITY_STATUSES = {
    "active": "Active",
    "monitoring": "Monitoring",
    "dormant": "Dormant",
    "achieved": "Achieved",
}

# The EU ordinary legislative procedure, as the policy team follows it.
DOSSIER_STAGES = {
    "consultation": "Consultation",
    "proposal": "Commission proposal",
    "committee": "Parliament committee",
    "council": "Council",
    "trilogue": "Trilogue",
    "adopted": "Adopted",
    "implementation": "Implementation",
}

DOSSIER_DATE_KINDS = {
    "deadline": "Deadline",
    "vote": "Vote",
    "meeting": "Meeting",
    "publication": "Publication",
    "other": "Other",
}

STAKEHOLDER_KINDS = {
    "mep": "Member of the European Parliament",
    "commission": "European Commission official",
    "perm_rep": "Permanent representation",
    "council": "Council secretariat",
    "ministry": "National ministry",
    "regulator": "Regulator",
    "journalist": "Journalist",
    "other": "Other",
}
# Stakeholder kinds that count as EU officials for transparency-register reporting.
EU_OFFICIAL_KINDS = ("mep", "commission", "perm_rep", "council")

EP_COMMITTEES = {
    "CULT": "Culture and Education",
    "JURI": "Legal Affairs",
    "IMCO": "Internal Market and Consumer Protection",
    "ITRE": "Industry, Research and Energy",
    "LIBE": "Civil Liberties, Justice and Home Affairs",
    "ECON": "Economic and Monetary Affairs",
    "INTA": "International Trade",
}

EP_GROUPS = {
    "EPP": "European People's Party",
    "S&D": "Socialists and Democrats",
    "PfE": "Patriots for Europe",
    "ECR": "European Conservatives and Reformists",
    "Renew": "Renew Europe",
    "Greens/EFA": "Greens/European Free Alliance",
    "The Left": "The Left",
    "ESN": "Europe of Sovereign Nations",
    "NI": "Non-attached",
}

CAMPAIGN_KINDS = {
    "declaration": "Declaration",
    "lobbying": "Lobbying",
    "awareness": "Awareness",
    "joint_letter": "Joint letter",
}
CAMPAIGN_STATUSES = {
    "planned": "Planned",
    "active": "Active",
    "paused": "Paused",
    "closed": "Closed",
}

ACTION_KINDS = {
    "meeting": "Meeting",
    "call": "Call",
    "letter": "Letter",
    "consultation": "Consultation response",
    "op_ed": "Op-ed",
    "event": "Event",
    "press_release": "Press release",
    "other": "Other",
}

JOINT_LETTER_STATUSES = {
    "invited": "Invited",
    "agreed": "Agreed",
    "declined": "Declined",
}
