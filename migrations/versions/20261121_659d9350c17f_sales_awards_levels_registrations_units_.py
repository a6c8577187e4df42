"""sales awards: levels, registrations, units, evidence, revisions

Revision ID: 659d9350c17f
Revises: e80087e67ae2
Create Date: 2026-11-21 18:15:39.538356

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '659d9350c17f'
down_revision = 'e80087e67ae2'
branch_labels = None
depends_on = None


def upgrade():
    # reviewed by hand
    op.create_table('award_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('scheme', sa.String(length=60), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_level'))
    )
    with op.batch_alter_table('award_level', schema=None) as batch_op:
        batch_op.create_index('ix_award_level_valid', ['valid_from', 'valid_to', 'threshold'], unique=False)

    op.create_table('award_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('artist', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('release_date', sa.Date(), nullable=False),
    sa.Column('catalogue_number', sa.String(length=60), nullable=True),
    sa.Column('isrc', sa.String(length=15), nullable=True),
    sa.Column('upc', sa.String(length=14), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('total_units', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('figures_confirmed', sa.Boolean(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_award_registration_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['level_id'], ['award_level.id'], name=op.f('fk_award_registration_level_id_award_level'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_award_registration_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_award_registration_submitted_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_registration'))
    )
    with op.batch_alter_table('award_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_registration_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_award_registration_status', ['status', 'registered_on'], unique=False)

    op.create_table('award_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['award_registration.id'], name=op.f('fk_award_evidence_registration_id_award_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_award_evidence_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_award_evidence_stored_name'))
    )
    with op.batch_alter_table('award_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_evidence_registration_id'), ['registration_id'], unique=False)

    op.create_table('award_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('total_units', sa.Integer(), nullable=False),
    sa.Column('units', sa.JSON(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_award_revision_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['level_id'], ['award_level.id'], name=op.f('fk_award_revision_level_id_award_level'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['registration_id'], ['award_registration.id'], name=op.f('fk_award_revision_registration_id_award_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_revision')),
    sa.UniqueConstraint('registration_id', 'number', name='uq_award_revision_number')
    )
    op.create_table('award_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['award_registration.id'], name=op.f('fk_award_units_registration_id_award_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_units')),
    sa.UniqueConstraint('registration_id', 'country', name='uq_award_units_country')
    )



def downgrade():
    # reviewed by hand
    op.drop_table('award_units')
    op.drop_table('award_revision')
    with op.batch_alter_table('award_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_evidence_registration_id'))

    op.drop_table('award_evidence')
    with op.batch_alter_table('award_registration', schema=None) as batch_op:
        batch_op.drop_index('ix_award_registration_status')
        batch_op.drop_index(batch_op.f('ix_award_registration_organisation_id'))

    op.drop_table('award_registration')
    with op.batch_alter_table('award_level', schema=None) as batch_op:
        batch_op.drop_index('ix_award_level_valid')

    op.drop_table('award_level')

