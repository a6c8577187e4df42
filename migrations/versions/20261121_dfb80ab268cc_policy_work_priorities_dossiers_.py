"""policy work: priorities, dossiers, stakeholders, campaigns, actions, milestones

Revision ID: dfb80ab268cc
Revises: e86e3431d122
Create Date: 2026-11-21 17:25:28.015730

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dfb80ab268cc'
down_revision = 'e86e3431d122'
branch_labels = None
depends_on = None


def upgrade():
    # reviewed by hand
    op.create_table('stakeholder_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('institution', sa.String(length=200), nullable=True),
    sa.Column('committees', sa.String(length=200), nullable=True),
    sa.Column('political_group', sa.String(length=30), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('directorate', sa.String(length=120), nullable=True),
    sa.Column('role', sa.String(length=200), nullable=True),
    sa.Column('beat', sa.String(length=200), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_stakeholder_profile_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stakeholder_profile')),
    sa.UniqueConstraint('person_id', name=op.f('uq_stakeholder_profile_person_id'))
    )
    with op.batch_alter_table('stakeholder_profile', schema=None) as batch_op:
        batch_op.create_index('ix_stakeholder_profile_kind_country', ['kind', 'country'], unique=False)

    op.create_table('priority',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_priority_owner_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_priority')),
    sa.UniqueConstraint('slug', name=op.f('uq_priority_slug'))
    )
    with op.batch_alter_table('priority', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_priority_owner_id'), ['owner_id'], unique=False)

    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('priority_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('goals', sa.Text(), nullable=True),
    sa.Column('results', sa.Text(), nullable=True),
    sa.Column('letter_text', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_campaign_owner_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['priority_id'], ['priority.id'], name=op.f('fk_campaign_priority_id_priority'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('slug', name=op.f('uq_campaign_slug'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_priority_id'), ['priority_id'], unique=False)

    op.create_table('dossier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('priority_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=250), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('asks', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['priority_id'], ['priority.id'], name=op.f('fk_dossier_priority_id_priority'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier'))
    )
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_priority_id'), ['priority_id'], unique=False)

    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=250), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('priority_id', sa.Integer(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['priority_id'], ['priority.id'], name=op.f('fk_milestone_priority_id_priority'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone'))
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_happened_on'), ['happened_on'], unique=False)

    op.create_table('priority_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('priority_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('stored_name', sa.String(length=100), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['priority_id'], ['priority.id'], name=op.f('fk_priority_document_priority_id_priority'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_priority_document_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_priority_document')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_priority_document_stored_name'))
    )
    with op.batch_alter_table('priority_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_priority_document_priority_id'), ['priority_id'], unique=False)

    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=250), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('priority_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.Column('shared_with_members', sa.Boolean(), nullable=False),
    sa.Column('followup_note', sa.String(length=500), nullable=True),
    sa.Column('followup_due_on', sa.Date(), nullable=True),
    sa.Column('followup_assignee_id', sa.Integer(), nullable=True),
    sa.Column('followup_done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_action_campaign_id_campaign'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_action_dossier_id_dossier'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['followup_assignee_id'], ['user_account.id'], name=op.f('fk_action_followup_assignee_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['logged_by_id'], ['user_account.id'], name=op.f('fk_action_logged_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['priority_id'], ['priority.id'], name=op.f('fk_action_priority_id_priority'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action'))
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index('ix_action_followup', ['followup_assignee_id', 'followup_done_at', 'followup_due_on'], unique=False)
        batch_op.create_index('ix_action_occurred', ['occurred_on', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_priority_id'), ['priority_id'], unique=False)

    op.create_table('dossier_date',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_dossier_date_dossier_id_dossier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_date'))
    )
    with op.batch_alter_table('dossier_date', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_date_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_date_due_on'), ['due_on'], unique=False)

    op.create_table('joint_letter_signatory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_joint_letter_signatory_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_joint_letter_signatory_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_letter_signatory')),
    sa.UniqueConstraint('campaign_id', 'organisation_id', name='uq_joint_letter_signatory_campaign_org')
    )
    with op.batch_alter_table('joint_letter_signatory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joint_letter_signatory_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('action_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_action_participant_action_id_action'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_action_participant_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_action_participant_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_action_participant_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_participant'))
    )
    with op.batch_alter_table('action_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_participant_action_id'), ['action_id'], unique=False)
        batch_op.create_index('ix_action_participant_organisation', ['organisation_id', 'action_id'], unique=False)
        batch_op.create_index('ix_action_participant_person', ['person_id', 'action_id'], unique=False)
        batch_op.create_index('ix_action_participant_user', ['user_id', 'action_id'], unique=False)




def downgrade():
    # reviewed by hand
    with op.batch_alter_table('action_participant', schema=None) as batch_op:
        batch_op.drop_index('ix_action_participant_user')
        batch_op.drop_index('ix_action_participant_person')
        batch_op.drop_index('ix_action_participant_organisation')
        batch_op.drop_index(batch_op.f('ix_action_participant_action_id'))

    op.drop_table('action_participant')
    with op.batch_alter_table('joint_letter_signatory', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_joint_letter_signatory_organisation_id'))

    op.drop_table('joint_letter_signatory')
    with op.batch_alter_table('dossier_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_date_due_on'))
        batch_op.drop_index(batch_op.f('ix_dossier_date_dossier_id'))

    op.drop_table('dossier_date')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_priority_id'))
        batch_op.drop_index('ix_action_occurred')
        batch_op.drop_index('ix_action_followup')
        batch_op.drop_index(batch_op.f('ix_action_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_action_campaign_id'))

    op.drop_table('action')
    with op.batch_alter_table('priority_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_priority_document_priority_id'))

    op.drop_table('priority_document')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_happened_on'))

    op.drop_table('milestone')
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_priority_id'))

    op.drop_table('dossier')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_priority_id'))

    op.drop_table('campaign')
    with op.batch_alter_table('priority', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_priority_owner_id'))

    op.drop_table('priority')
    with op.batch_alter_table('stakeholder_profile', schema=None) as batch_op:
        batch_op.drop_index('ix_stakeholder_profile_kind_country')

    op.drop_table('stakeholder_profile')

